import { data, redirect, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { completeGitHubSignIn, expiredGitHubCookies, type GitHubProblem } from "~/auth/github.server";
import { rateLimitedMessage } from "~/auth/messages";
import { readSessionToken } from "~/auth/session.server";
import { signInResponse } from "~/auth/sign-in-response.server";
import { passThroughRetryAfter } from "~/lib/route-headers";
import { tooManyRequests } from "~/lib/route-answers.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? GITHUB_PROBLEMS[data.reason].title : "GitHub sign-in"} · Latchkey` },
];

// The URL carries GitHub's one-time code: never hand it to another site through Referer (WEB-3).
export const headers: HeadersFunction = (args) => {
  const headers = new Headers(passThroughRetryAfter(args));
  headers.set("Referrer-Policy", "no-referrer");
  return headers;
};

type Copy = { status: number; title: string; message: string; emailSettings?: boolean };

/** What the person is told for each way GitHub sign-in can stop (OA-4): what happened, what to do. */
const GITHUB_PROBLEMS: Record<Exclude<GitHubProblem, "cancelled"> | "rate-limited", Copy> = {
  "invalid-state": {
    status: 400,
    title: "This GitHub sign-in link is invalid or expired",
    message: "It may have been used already, taken too long, or been opened in a different browser. Start again.",
  },
  "provider-error": {
    status: 400,
    title: "GitHub couldn't complete the sign-in",
    message: "GitHub sent you back with an error. Start again, or sign in with your email instead.",
  },
  unavailable: {
    status: 502,
    title: "GitHub isn't responding",
    message: "GitHub isn't responding right now, so we couldn't finish signing you in. Nothing was changed. Try again in a few minutes, or sign in with your email instead.",
  },
  rejected: {
    status: 502,
    title: "GitHub refused this sign-in",
    message: "GitHub didn't accept Latchkey's sign-in request, which usually means this site's GitHub settings need fixing. Sign in with your email instead, and let whoever runs this site know.",
  },
  "no-verified-email": {
    status: 403,
    title: "Your GitHub account has no verified email",
    message: "Latchkey signs you in by your verified email address, and GitHub says your primary email isn't verified. Open GitHub's email settings, verify your primary address (GitHub sends you a confirmation link), then start again.",
    emailSettings: true,
  },
  "signup-closed": {
    status: 403,
    title: "No account for this GitHub account",
    message: "This site only lets existing accounts sign in, and none has your GitHub account's email address. Ask whoever runs it for access.",
  },
  "rate-limited": { status: 429, title: "Please wait a moment", message: "" },
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const client = context.client;
  const result = await completeGitHubSignIn(context, {
    request,
    client,
    previousSessionToken: await readSessionToken(request, context.config),
  });
  // The state and redirectTo cookies are single use, whatever happened.
  const headers = new Headers();
  for (const cookie of await expiredGitHubCookies(context.config)) headers.append("Set-Cookie", cookie);

  if (result.ok) {
    const response = await signInResponse(request, context, result.outcome, client);
    headers.forEach((value) => response.headers.append("Set-Cookie", value));
    response.headers.set("Referrer-Policy", "no-referrer");
    throw response;
  }
  if (result.reason === "cancelled") {
    headers.set("Referrer-Policy", "no-referrer");
    throw redirect("/login?github=cancelled", { status: 303, headers });
  }
  if (result.reason === "rate-limited") {
    return tooManyRequests({ reason: result.reason, message: rateLimitedMessage(result.retryAfterSeconds, "attempts") }, result.retryAfterSeconds, headers);
  }
  return data({ reason: result.reason, message: null }, { status: GITHUB_PROBLEMS[result.reason].status, headers });
}

export default function GitHubCallbackProblem() {
  const data = useLoaderData<typeof loader>();
  const copy = GITHUB_PROBLEMS[data.reason];
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <p className="status-code">{copy.status}</p>
        <h1 id="title">{copy.title}</h1>
        <p role="alert">{data.message ?? copy.message}</p>
        <div className="actions">
          {copy.emailSettings ? (
            <a className="button" href="https://github.com/settings/emails">
              Open GitHub email settings
            </a>
          ) : null}
          <a className={copy.emailSettings ? "button secondary" : "button"} href="/auth/github">
            Start again with GitHub
          </a>
          <Link className="button secondary" to="/login">
            Sign in with email
          </Link>
        </div>
      </section>
    </main>
  );
}
