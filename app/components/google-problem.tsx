import { Link } from "@remix-run/react";
import { GOOGLE_PROBLEMS } from "~/auth/messages";

/** The page for a Google sign-in that stopped, from the callback or from a One Tap post. */
export function GoogleProblemPage({ reason, message }: { reason: keyof typeof GOOGLE_PROBLEMS; message: string | null }) {
  const copy = GOOGLE_PROBLEMS[reason];
  // The fix for an unverified email is in the Google Account: link straight to it.
  const accountSettings = reason === "no-verified-email";
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <p className="status-code">{copy.status}</p>
        <h1 id="title">{copy.title}</h1>
        <p role="alert">{message ?? copy.message}</p>
        <div className="actions">
          {accountSettings ? (
            <a className="button" href="https://myaccount.google.com/email">
              Open your Google Account
            </a>
          ) : null}
          <a className={accountSettings ? "button secondary" : "button"} href="/auth/google">
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
