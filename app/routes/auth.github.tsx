import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { startGitHubSignIn } from "~/auth/github/sign-in.server";

/**
 * GET /auth/github[?redirectTo=/path]: off to GitHub's authorize page with a fresh state and PKCE
 * challenge. A plain link works without JavaScript; 404 when GitHub sign-in is off.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const redirectTo = new URL(request.url).searchParams.get("redirectTo");
  throw await startGitHubSignIn(context.config, { redirectTo });
}
