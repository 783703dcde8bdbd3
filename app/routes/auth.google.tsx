import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { startGoogleSignIn } from "~/auth/google/sign-in.server";

/**
 * GET /auth/google[?redirectTo=/path]: off to Google's sign-in with a fresh state, PKCE challenge and
 * nonce. A plain link works without JavaScript; 404 when Google sign-in is off.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const redirectTo = new URL(request.url).searchParams.get("redirectTo");
  throw await startGoogleSignIn(context.config, { redirectTo });
}
