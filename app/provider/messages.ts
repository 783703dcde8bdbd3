/**
 * What the OpenID provider's pages say (authorize, consent, RP-initiated logout) when an app's request
 * can't be answered safely: what happened and what to do next, like auth/messages.ts for Latchkey's own pages.
 */
import type { AuthorizePageProblem } from "./authorize.server";
import type { LogoutProblem } from "./logout.server";

/** Why an app's sign-in request can't be answered safely: a page, never a redirect (OP-2). */
export const AUTHORIZE_PROBLEMS: Record<AuthorizePageProblem, { title: string; message: string }> = {
  "missing-client": {
    title: "This sign-in link is incomplete",
    message: "The app that sent you here didn't say who it is (client_id is missing). Go back to the app and try again; if it keeps happening, tell whoever runs it.",
  },
  "unknown-client": {
    title: "This app isn't known here",
    message: "The app that sent you here isn't registered with this Latchkey, or it has been disabled. Go back to the app; if it keeps happening, tell whoever runs it.",
  },
  "missing-redirect-uri": {
    title: "This sign-in link is incomplete",
    message: "The app didn't say where to send you back (redirect_uri is missing), so we can't continue. Go back to the app and try again.",
  },
  "unregistered-redirect-uri": {
    title: "We can't send you back to that address",
    message: "The app asked us to send you to an address it hasn't registered (redirect_uri), so we won't. Nothing was shared. Go back to the app; if it keeps happening, tell whoever runs it.",
  },
  "expired-request": {
    title: "This sign-in took too long",
    message: "The app's request has expired or was already completed. Go back to the app and sign in again.",
  },
};

export const CONSENT_EXPIRED = "This request has expired or was already answered. Go back to the app and sign in again.";

export const LOGOUT_PROBLEMS: Record<LogoutProblem, string> = {
  "invalid-id-token-hint": "The app's sign-out request couldn't be verified, so we won't send you anywhere afterwards.",
  "client-mismatch": "The app's sign-out request names two different apps, so we won't send you anywhere afterwards.",
  "unidentified-client": "The app didn't say who it is, so we won't send you anywhere afterwards.",
  "unregistered-post-logout-uri": "The app asked to send you to an address it hasn't registered, so we won't.",
};
