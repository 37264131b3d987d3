/**
 * P6's baseline as a process of its own, like the profile service it is
 * compared with: connectNodeAdapter on node:http, one route doing
 * GetProfile's primary-key read with raw postgres.js, nothing else (no
 * token, no checks, no metrics, no tracing). Reads DATABASE_URL and PORT;
 * stops on SIGTERM.
 */
import { createServer } from "node:http";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import postgres from "postgres";
import { ProfileSchema, ProfileService } from "@acme/gen/acme/profile/v1/profile_service_pb";

interface ProfileRow {
  user_id: string;
  account_email: string;
  own_display_name: string | null;
  avatar_url: string;
  created_at: Date;
  updated_at: Date;
}

const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
const server = createServer(
  connectNodeAdapter({
    routes: (router) =>
      router.service(ProfileService, {
        async getProfile(req) {
          const [row] = await sql<ProfileRow[]>`
            select user_id, account_email, own_display_name, avatar_url, created_at, updated_at from profiles where user_id = ${req.userId}`;
          return {
            profile: create(ProfileSchema, {
              userId: row!.user_id,
              displayName: row!.own_display_name ?? row!.account_email,
              avatarUrl: row!.avatar_url,
              createdAt: timestampFromDate(row!.created_at),
              updatedAt: timestampFromDate(row!.updated_at),
            }),
          };
        },
      }),
  }),
);
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => void sql.end().then(() => process.exit(0)));
});
