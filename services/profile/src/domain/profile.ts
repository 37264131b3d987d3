/**
 * A user's public profile as profile stores it. The account email is
 * auth's fact (mirrored from its events); the display name and avatar are the
 * user's own. Until the user picks a display name, the account email is shown.
 */
export interface ProfileRecord {
  userId: string;
  accountEmail: string;
  /** Chosen by the user; null while the account email stands in for it. */
  ownDisplayName: string | null;
  /** "" when the user has none. */
  avatarUrl: string;
  /** Auth's revision of the user that the mirrored facts are at. */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields only the owner changes; auth's events never touch them. */
export interface ProfileOwnFields {
  ownDisplayName?: string;
  avatarUrl?: string;
}

/** A new account's profile: no display name of its own (the account email stands in), no avatar. */
export function newProfile(account: Omit<ProfileRecord, keyof ProfileOwnFields>): ProfileRecord {
  return { ...account, ownDisplayName: null, avatarUrl: "" };
}

/** What the owner is shown: the display name resolved (their own, or the account email standing in). */
export type Profile = Pick<ProfileRecord, "userId" | "avatarUrl" | "createdAt" | "updatedAt"> & { displayName: string };

export function toProfile({ userId, ownDisplayName, accountEmail, avatarUrl, createdAt, updatedAt }: ProfileRecord): Profile {
  return { userId, displayName: ownDisplayName ?? accountEmail, avatarUrl, createdAt, updatedAt };
}
