import { Link } from "@remix-run/react";
import { GITHUB_PROBLEMS, GOOGLE_PROBLEMS, type Problem } from "~/auth/messages";

const PROVIDERS: Record<"github" | "google", { name: string; problems: Record<string, Problem>; settings: { href: string; label: string } }> = {
  github: {
    name: "GitHub",
    problems: GITHUB_PROBLEMS,
    settings: { href: "https://github.com/settings/emails", label: "Open GitHub email settings" },
  },
  google: {
    name: "Google",
    problems: GOOGLE_PROBLEMS,
    settings: { href: "https://myaccount.google.com/email", label: "Open your Google Account" },
  },
};

type Props =
  | { provider: "github"; reason: keyof typeof GITHUB_PROBLEMS; message: string | null }
  | { provider: "google"; reason: keyof typeof GOOGLE_PROBLEMS; message: string | null };

/**
 * The page for a GitHub or Google sign-in that stopped (a callback, or a One Tap post): what happened,
 * then the ways on: start again with the provider, or use email. `message` replaces the stock sentence
 * when the answer carries its own (how long to wait).
 */
export function ProviderProblemPage({ provider, reason, message }: Props) {
  const { name, problems, settings } = PROVIDERS[provider];
  const copy = problems[reason]!;
  // The fix for an unverified email is in the provider's own settings: link straight to it.
  const fixAtProvider = reason === "no-verified-email";
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <p className="status-code">{copy.status}</p>
        <h1 id="title">{copy.title}</h1>
        <p role="alert">{message ?? copy.message}</p>
        <div className="actions">
          {fixAtProvider ? (
            <a className="button" href={settings.href}>
              {settings.label}
            </a>
          ) : null}
          <a className={fixAtProvider ? "button secondary" : "button"} href={`/auth/${provider}`}>
            Start again with {name}
          </a>
          <Link className="button secondary" to="/login">
            Sign in with email
          </Link>
        </div>
      </section>
    </main>
  );
}
