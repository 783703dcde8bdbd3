import { Form, useRevalidator } from "@remix-run/react";
import { useState } from "react";
import { ACCOUNT, STEP_UP } from "~/auth/messages";
import { PASSKEY_NAME_MAX_LENGTH } from "~/auth/passkeys/messages";
import { formatDate } from "~/lib/dates";
import { AddPasskey } from "./passkeys";

export interface PasskeyView {
  id: string;
  name: string;
  synced: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

type Notice = { kind: "notice" | "error"; message: string } | null;

/**
 * The account page's "Passkeys": each passkey with Rename and Delete (plain forms to the passkey routes,
 * so they work without JavaScript), and Add, which needs WebAuthn and so JavaScript. `notice` is what
 * the last rename or delete left to say.
 */
export function AccountPasskeys({ passkeys, notice, recentlyAuthenticated }: { passkeys: PasskeyView[]; notice: Notice; recentlyAuthenticated: boolean }) {
  const revalidator = useRevalidator();
  const [added, setAdded] = useState<string | null>(null);
  const shown = added ? { kind: "notice" as const, message: ACCOUNT.passkeyAdded(added) } : notice;
  return (
    <section className="card stack" aria-labelledby="passkeys-title" id="passkeys">
      <h2 id="passkeys-title">Passkeys</h2>
      <p>
        Sign in with your fingerprint, face or screen lock instead of an email. A passkey only works on this site, so it can't be
        phished, and it counts as two factors.
      </p>
      {shown ? (
        <div className={`alert ${shown.kind === "error" ? "error" : "success"}`} role={shown.kind === "error" ? "alert" : "status"}>
          {shown.message}
        </div>
      ) : null}
      {passkeys.length === 0 ? (
        <p className="muted">No passkeys yet.</p>
      ) : (
        <ul className="passkey-list">
          {passkeys.map((p) => (
            <li key={p.id} className="passkey" data-testid="passkey">
              <div>
                <p className="session-title">{p.name}</p>
                <p className="muted small">
                  {p.synced ? "Synced passkey" : "On one device"} · added {formatDate(p.createdAt)} ·{" "}
                  {p.lastUsedAt ? `last used ${formatDate(p.lastUsedAt)}` : "not used yet"}
                </p>
              </div>
              <div className="passkey-actions">
                <Form method="post" action={`/account/passkeys/${p.id}`} reloadDocument className="inline-form">
                  <label className="visually-hidden" htmlFor={`passkey-name-${p.id}`}>
                    New name for {p.name}
                  </label>
                  <input id={`passkey-name-${p.id}`} name="name" defaultValue={p.name} maxLength={PASSKEY_NAME_MAX_LENGTH} required autoComplete="off" />
                  <button type="submit" name="intent" value="rename" className="secondary" aria-label={`Rename ${p.name}`}>
                    Rename
                  </button>
                </Form>
                <Form method="post" action={`/account/passkeys/${p.id}`} reloadDocument>
                  <button type="submit" name="intent" value="delete" className="danger-outline" aria-label={`Delete ${p.name}`}>
                    Delete
                  </button>
                </Form>
              </div>
            </li>
          ))}
        </ul>
      )}
      <AddPasskey
        onAdded={(name) => {
          setAdded(name);
          revalidator.revalidate();
        }}
      />
      {!recentlyAuthenticated ? <p className="muted small">{STEP_UP.willAsk}</p> : null}
    </section>
  );
}
