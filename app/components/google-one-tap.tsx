import { useEffect, useRef } from "react";
import { useNonce } from "./nonce";

/** What a page needs to show One Tap (from prepareOneTap in the loader); null when it shouldn't. */
export interface OneTapSettings {
  clientId: string;
  /** Ours, bound to this browser by a cookie; Google puts it into the ID token (OA-1). */
  nonce: string;
  /** Google Identity Services, or the local stand-in's copy. */
  scriptUrl: string;
}

interface CredentialResponse {
  credential?: string;
}

interface GoogleIdentity {
  initialize(options: Record<string, unknown>): void;
  prompt(): void;
  cancel(): void;
}

declare global {
  interface Window {
    google?: { accounts?: { id?: GoogleIdentity } };
    onGoogleLibraryLoad?: () => void;
  }
}

/**
 * Google One Tap, in its popup/FedCM mode: Google hands the credential (an ID token) to our callback on
 * this page, which posts it with a fresh double-submit `g_csrf_token` (cookie + field) to
 * /auth/google/one-tap as an ordinary same-origin form, so the same-origin POST check applies unchanged
 * (decision 009). The script tag is only in the server-rendered HTML of pages whose CSP allows it; with
 * JavaScript off, or after a client-side navigation from a page that didn't load it, nothing shows and
 * the "Continue with Google" link still works.
 */
export function GoogleOneTap({ settings, redirectTo }: { settings: OneTapSettings | null; redirectTo: string }) {
  const cspNonce = useNonce();
  const form = useRef<HTMLFormElement>(null);
  const clientId = settings?.clientId;
  const nonce = settings?.nonce;

  useEffect(() => {
    if (!clientId || !nonce) return;
    const onCredential = ({ credential }: CredentialResponse) => {
      const target = form.current;
      if (!credential || !target) return;
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      const csrf = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      const secure = window.location.protocol === "https:" ? "; Secure" : "";
      document.cookie = `g_csrf_token=${csrf}; Path=/; Max-Age=600; SameSite=Strict${secure}`;
      (target.elements.namedItem("credential") as HTMLInputElement).value = credential;
      (target.elements.namedItem("g_csrf_token") as HTMLInputElement).value = csrf;
      target.submit();
    };
    const start = () => {
      const id = window.google?.accounts?.id;
      if (!id) return;
      id.initialize({
        client_id: clientId,
        nonce,
        callback: onCredential,
        // FedCM where the browser has it: the browser, not a Google iframe, shows the prompt.
        use_fedcm_for_prompt: true,
        auto_select: false,
        cancel_on_tap_outside: true,
        context: "signin",
        itp_support: true,
      });
      id.prompt();
    };
    if (window.google?.accounts?.id) start();
    else window.onGoogleLibraryLoad = start;
    return () => {
      if (window.onGoogleLibraryLoad === start) window.onGoogleLibraryLoad = undefined;
      window.google?.accounts?.id?.cancel();
    };
  }, [clientId, nonce]);

  if (!settings) return null;
  return (
    <>
      <script src={settings.scriptUrl} async nonce={cspNonce} suppressHydrationWarning />
      <form ref={form} method="post" action="/auth/google/one-tap" hidden>
        <input type="hidden" name="credential" />
        <input type="hidden" name="g_csrf_token" />
        <input type="hidden" name="redirectTo" value={redirectTo} />
      </form>
    </>
  );
}
