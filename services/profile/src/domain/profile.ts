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

export interface Profile {
  userId: string;
  displayName: string;
  avatarUrl: string;
  createdAt: Date;
  updatedAt: Date;
}

export function toProfile(record: ProfileRecord): Profile {
  return {
    userId: record.userId,
    displayName: record.ownDisplayName ?? record.accountEmail,
    avatarUrl: record.avatarUrl,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** What profile knows about a user id: nothing yet, a profile, or that the account is gone. */
export type ProfileState =
  | { kind: "absent" }
  | { kind: "present"; profile: ProfileRecord }
  | { kind: "deleted"; revision: number };
