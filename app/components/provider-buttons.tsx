import { MarkGithubIcon } from "@primer/octicons-react";
import { providerCancelled } from "~/auth/messages";
import { DEFAULT_REDIRECT } from "~/lib/safe-redirect";

export type SignInProvider = "github" | "google";

const LABELS: Record<SignInProvider, string> = { github: "GitHub", google: "Google" };

/**
 * "Continue with GitHub / Google": plain links (the redirect flows work without JavaScript), one style,
 * equal width, each with its mark, then the "or" above the email form. A cancelled provider sign-in
 * comes back here with a sentence saying so.
 */
export function ProviderButtons({
  providers,
  redirectTo,
  cancelled,
}: {
  providers: SignInProvider[];
  redirectTo: string;
  cancelled: SignInProvider | null;
}) {
  if (providers.length === 0) return null;
  const query = redirectTo === DEFAULT_REDIRECT ? "" : `?redirectTo=${encodeURIComponent(redirectTo)}`;
  return (
    <>
      {cancelled ? (
        <div className="alert error" role="alert">
          {providerCancelled(LABELS[cancelled])}
        </div>
      ) : null}
      <div className="provider-buttons">
        {providers.map((provider) => (
          <a key={provider} className="button secondary full provider-button" href={`/auth/${provider}${query}`}>
            {provider === "github" ? <MarkGithubIcon size={20} aria-hidden="true" /> : <GoogleMark />}
            <span>{`Continue with ${LABELS[provider]}`}</span>
          </a>
        ))}
      </div>
      <p className="divider">
        <span>or</span>
      </p>
    </>
  );
}

/** Google's four-colour "G", drawn as four arcs of one ring and the bar (no external image, no CSP change). */
function GoogleMark() {
  return (
    <svg className="provider-mark" width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <g fill="none" strokeWidth="4">
        <path d="M20 12A8 8 0 0 1 17.66 17.66" stroke="#4285F4" />
        <path d="M17.66 17.66A8 8 0 0 1 5.07 16" stroke="#34A853" />
        <path d="M5.07 16A8 8 0 0 1 5.07 8" stroke="#FBBC05" />
        <path d="M5.07 8A8 8 0 0 1 18.13 6.86" stroke="#EA4335" />
      </g>
      <rect x="12" y="10" width="10" height="4" fill="#4285F4" />
    </svg>
  );
}
