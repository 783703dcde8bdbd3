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
            {provider === "github" ? <GitHubMark /> : <GoogleMark />}
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

/**
 * GitHub's mark, inline: the 16 px "mark-github" path from GitHub's Octicons (MIT), drawn at 20 px as
 * @primer/octicons-react drew it, without shipping the icon package to the Worker (issue 15).
 */
function GitHubMark() {
  return (
    <svg className="provider-mark" width="20" height="20" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true" focusable="false">
      <path d="M6.766 11.328c-2.063-.25-3.516-1.734-3.516-3.656 0-.781.281-1.625.75-2.188-.203-.515-.172-1.609.063-2.062.625-.078 1.468.25 1.968.703.594-.187 1.219-.281 1.985-.281.765 0 1.39.094 1.953.265.484-.437 1.344-.765 1.969-.687.218.422.25 1.515.046 2.047.5.593.766 1.39.766 2.203 0 1.922-1.453 3.375-3.547 3.64.531.344.89 1.094.89 1.954v1.625c0 .468.391.734.86.547C13.781 14.359 16 11.53 16 8.03 16 3.61 12.406 0 7.984 0 3.563 0 0 3.61 0 8.031a7.88 7.88 0 0 0 5.172 7.422c.422.156.828-.125.828-.547v-1.25c-.219.094-.5.156-.75.156-1.031 0-1.64-.562-2.078-1.609-.172-.422-.36-.672-.719-.719-.187-.015-.25-.093-.25-.187 0-.188.313-.328.625-.328.453 0 .844.281 1.25.86.313.452.64.655 1.031.655s.641-.14 1-.5c.266-.265.47-.5.657-.656" />
    </svg>
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
