import { Link } from "@remix-run/react";
import type { GoogleProblem } from "~/auth/google/sign-in.server";

type Copy = { status: number; title: string; message: string; accountSettings?: boolean };

/** What the person is told for each way Google sign-in can stop (OA-4): what happened, what to do. */
export const GOOGLE_PROBLEMS: Record<Exclude<GoogleProblem, "cancelled"> | "rate-limited", Copy> = {
  "invalid-state": {
    status: 400,
    title: "This Google sign-in is invalid or expired",
    message: "It may have been used already, taken too long, or been opened in a different browser. Start again.",
  },
  "invalid-token": {
    status: 400,
    title: "We couldn't verify this Google sign-in",
    message: "What came back from Google didn't pass our checks, so nobody was signed in. Start again, or sign in with your email instead.",
  },
  "csrf-mismatch": {
    status: 400,
    title: "This Google sign-in couldn't be confirmed",
    message: "The sign-in arrived without the check this page sets, which happens when cookies are blocked or the page was open for a long time. Reload the sign-in page and try again.",
  },
  "provider-error": {
    status: 400,
    title: "Google couldn't complete the sign-in",
    message: "Google sent you back with an error. Start again, or sign in with your email instead.",
  },
  unavailable: {
    status: 502,
    title: "Google isn't responding",
    message: "Google isn't responding right now, so we couldn't finish signing you in. Nothing was changed. Try again in a few minutes, or sign in with your email instead.",
  },
  rejected: {
    status: 502,
    title: "Google refused this sign-in",
    message: "Google didn't accept Latchkey's sign-in request, which usually means this site's Google settings need fixing. Sign in with your email instead, and let whoever runs this site know.",
  },
  "no-verified-email": {
    status: 403,
    title: "Your Google account's email isn't verified",
    message: "Latchkey signs you in by your verified email address, and Google didn't confirm the address of this Google account. Verify it in your Google Account, then start again, or sign in with your email instead.",
    accountSettings: true,
  },
  "signup-closed": {
    status: 403,
    title: "No account for this Google account",
    message: "This site only lets existing accounts sign in, and none has your Google account's email address. Ask whoever runs it for access.",
  },
  "rate-limited": { status: 429, title: "Please wait a moment", message: "" },
};

/** The page for a Google sign-in that stopped, from the callback or from a One Tap post. */
export function GoogleProblemPage({ reason, message }: { reason: keyof typeof GOOGLE_PROBLEMS; message: string | null }) {
  const copy = GOOGLE_PROBLEMS[reason];
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <p className="status-code">{copy.status}</p>
        <h1 id="title">{copy.title}</h1>
        <p role="alert">{message ?? copy.message}</p>
        <div className="actions">
          {copy.accountSettings ? (
            <a className="button" href="https://myaccount.google.com/email">
              Open your Google Account
            </a>
          ) : null}
          <a className={copy.accountSettings ? "button secondary" : "button"} href="/auth/google">
            Start again with Google
          </a>
          <Link className="button secondary" to="/login">
            Sign in with email
          </Link>
        </div>
      </section>
    </main>
  );
}
