/**
 * Passkey UI. Each piece renders nothing on the server and until the browser has shown, after
 * hydration, that it can do WebAuthn: without JavaScript (or support) the page is exactly what it was.
 */
import { useEffect, useRef, useState } from "react";
import { useSubmit } from "@remix-run/react";
import {
  addPasskey,
  cancelPasskeyRequest,
  markPasskeyOfferSeen,
  passkeyAutofillSupported,
  passkeysSupported,
  signInWithPasskey,
  stepUpWithPasskey,
  type Failure,
} from "~/auth/passkeys/client";

/** "checking" on the server and before the first effect; then whether this browser can use passkeys. */
function usePasskeySupport(): "checking" | "supported" | "unsupported" {
  const [state, setState] = useState<"checking" | "supported" | "unsupported">("checking");
  useEffect(() => setState(passkeysSupported() ? "supported" : "unsupported"), []);
  return state;
}

function ErrorAlert({ failure }: { failure: Failure | null }) {
  if (!failure || failure.reason === "aborted") return null;
  return (
    <div className="alert error" role="alert">
      {failure.message}
      {failure.stepUpUrl ? (
        <>
          {" "}
          <a href={failure.stepUpUrl}>Confirm it's you</a>
        </>
      ) : null}
    </div>
  );
}

/**
 * The login page's passkey button, and passkey autofill in the email field (conditional UI) where the
 * browser supports it: picking a passkey there signs in directly.
 */
export function PasskeySignIn({ redirectTo, divider }: { redirectTo: string | null; divider: boolean }) {
  const support = usePasskeySupport();
  const [failure, setFailure] = useState<Failure | null>(null);
  const [working, setWorking] = useState(false);

  const finish = (result: Awaited<ReturnType<typeof signInWithPasskey>>) => {
    if (result.ok) {
      // A full page load: every loader (and the header) sees the new session.
      window.location.assign(result.redirectTo);
      return;
    }
    setWorking(false);
    setFailure(result);
  };

  useEffect(() => {
    if (support !== "supported") return;
    let active = true;
    void passkeyAutofillSupported().then((autofill) => {
      if (!autofill || !active) return;
      void signInWithPasskey({ redirectTo, autofill: true }).then((result) => {
        if (active) finish(result);
      });
    });
    return () => {
      active = false;
      cancelPasskeyRequest();
    };
    // Started once per visit to the page.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [support]);

  if (support === "checking") return null;
  if (support === "unsupported") {
    return <p className="muted small passkey-note">This browser doesn't support passkeys; sign in with your email below.</p>;
  }
  return (
    <div className="passkey-sign-in">
      <ErrorAlert failure={failure} />
      <button
        type="button"
        className="secondary full"
        disabled={working}
        onClick={async () => {
          setWorking(true);
          setFailure(null);
          // A new ceremony aborts the pending autofill request (WebAuthnAbortService).
          finish(await signInWithPasskey({ redirectTo }));
        }}
      >
        {working ? "Waiting for your passkey…" : "Sign in with a passkey"}
      </button>
      {divider ? (
        <p className="divider">
          <span>or</span>
        </p>
      ) : null}
    </div>
  );
}

/** "Add a passkey" on the account page; reloads the page's data when a passkey was added. */
export function AddPasskey({ onAdded }: { onAdded: (name: string) => void }) {
  const support = usePasskeySupport();
  const [failure, setFailure] = useState<Failure | null>(null);
  const [working, setWorking] = useState(false);
  if (support === "checking") return null;
  if (support === "unsupported") return <p className="muted small">This browser can't create passkeys.</p>;
  return (
    <div className="stack-tight">
      <ErrorAlert failure={failure} />
      <div className="actions">
        <button
          type="button"
          disabled={working}
          onClick={async () => {
            setWorking(true);
            setFailure(null);
            const result = await addPasskey();
            setWorking(false);
            if (result.ok) onAdded(result.passkey.name);
            else setFailure(result);
          }}
        >
          {working ? "Waiting for your device…" : "Add a passkey"}
        </button>
      </div>
    </div>
  );
}

/** Step-up with a passkey, offered before the other ways when the account has one. */
export function PasskeyStepUp({ next, then }: { next: string; then: string | null }) {
  const support = usePasskeySupport();
  const submit = useSubmit();
  const [failure, setFailure] = useState<Failure | null>(null);
  const [working, setWorking] = useState(false);
  if (support !== "supported") return null;
  return (
    <div className="passkey-step-up">
      <ErrorAlert failure={failure} />
      <button
        type="button"
        className="full"
        disabled={working}
        onClick={async () => {
          setWorking(true);
          setFailure(null);
          const result = await stepUpWithPasskey(next);
          if (result.ok && then) {
            // Confirmed: the confirm page goes on with the change (a POST, like every change).
            submit({ intent: "continue", next, then }, { method: "post" });
            return;
          }
          if (result.ok) {
            window.location.assign(result.redirectTo);
            return;
          }
          setWorking(false);
          setFailure(result);
        }}
      >
        {working ? "Waiting for your passkey…" : "Confirm with a passkey"}
      </button>
      <p className="divider">
        <span>or</span>
      </p>
    </div>
  );
}

/**
 * After an email sign-in: once per device, suggest adding a passkey. Seen counts as offered (a cookie,
 * set as soon as the offer shows), so it never nags; "Not now" just hides it.
 */
export function PasskeyOffer() {
  const support = usePasskeySupport();
  const [state, setState] = useState<"open" | "closed" | "added">("open");
  const [failure, setFailure] = useState<Failure | null>(null);
  const [working, setWorking] = useState(false);
  const marked = useRef(false);
  useEffect(() => {
    if (support === "supported" && !marked.current) {
      marked.current = true;
      void markPasskeyOfferSeen();
    }
  }, [support]);
  if (support !== "supported" || state === "closed") return null;
  if (state === "added") {
    return (
      <aside className="passkey-offer" aria-label="Passkey">
        <p role="status">Passkey added. Next time, choose “Sign in with a passkey” (or pick it in the email field).</p>
        <button type="button" className="secondary" onClick={() => setState("closed")}>
          Close
        </button>
      </aside>
    );
  }
  return (
    <aside className="passkey-offer" aria-labelledby="passkey-offer-title">
      <p id="passkey-offer-title">
        <strong>Sign in faster next time?</strong> Add a passkey and this device signs you in with your fingerprint, face or screen lock, no
        email needed.
      </p>
      <ErrorAlert failure={failure} />
      <div className="actions">
        <button
          type="button"
          disabled={working}
          onClick={async () => {
            setWorking(true);
            setFailure(null);
            const result = await addPasskey();
            setWorking(false);
            if (result.ok) setState("added");
            else setFailure(result);
          }}
        >
          {working ? "Waiting for your device…" : "Add a passkey"}
        </button>
        <button type="button" className="secondary" onClick={() => setState("closed")}>
          Not now
        </button>
      </div>
    </aside>
  );
}
