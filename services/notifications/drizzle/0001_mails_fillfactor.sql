-- New mail rows fill half a page, so that the sender's claim (which changes
-- only lease_until and attempts, in no index) can write each claimed row's
-- new version on its own page: a HOT update, with no new entry in the three
-- indexes. A claim takes the rows of a page together, in one statement, so
-- the page must hold room for all of them at once: at fillfactor 75 only
-- about 4 of every 10 claims were HOT, at 50 all of them (N1 in
-- docs/performance.md). The mark that follows cannot be HOT (status is in
-- mails_due's predicate), and it leaves the page room again once the claim's
-- old versions are pruned. Rows already written keep their pages.
ALTER TABLE "mails" SET (fillfactor = 50);
