/**
 * The whole D1 schema, one file per table family. `npm run db:generate` turns changes here into SQL under
 * migrations/. Each table has one owner module in app/ that holds every statement touching it
 * (docs/architecture.md lists them).
 */
export * from "./accounts";
export * from "./email";
export * from "./second-factors";
export * from "./audit";
export * from "./provider";

import type { authEvents } from "./audit";
import type { identities, sessions, users } from "./accounts";
import type { verificationTokens } from "./email";
import type { passkeys } from "./second-factors";
import type { oauthAuthorizationRequests, oauthClients, oauthGrants } from "./provider";

export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type VerificationToken = typeof verificationTokens.$inferSelect;
export type AuthEvent = typeof authEvents.$inferInsert;
export type Identity = typeof identities.$inferSelect;
export type Passkey = typeof passkeys.$inferSelect;
export type OAuthClient = typeof oauthClients.$inferSelect;
export type OAuthGrant = typeof oauthGrants.$inferSelect;
export type OAuthAuthorizationRequest = typeof oauthAuthorizationRequests.$inferSelect;
