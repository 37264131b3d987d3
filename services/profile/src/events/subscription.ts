import { accountProjection, type ProjectionDb } from "@acme/kit/projection";
import { newProfile, type ProfileRecord } from "../domain/profile.js";
import { profileRepositoryFor } from "../db/profile-repository.js";

/**
 * Profiles are kit's per-user projection of auth's account events
 * (services/kit/src/projection): a registration creates the profile with the
 * account email as display name until the user picks one; an email change
 * moves the account email (and so the display name while the user has none
 * of their own); a deletion removes the profile and leaves a tombstone.
 */
export const profileProjection = accountProjection<ProfileRecord, ProjectionDb>({ newRecord: newProfile, storeFor: profileRepositoryFor });

/** The consumer's routes: each handler gets a repository on the consumer's transaction. */
export const profileEventRoutes = () => profileProjection.eventRoutes();
