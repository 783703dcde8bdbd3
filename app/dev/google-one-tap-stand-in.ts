/**
 * The Google stand-in's Google Identity Services script, served at /dev/google/gsi/* in place of
 * https://accounts.google.com/gsi/client, so One Tap works on a machine with no Google credentials and no
 * internet: `google.accounts.id` with initialize, prompt and cancel, a One Tap-like prompt listing the
 * verified test accounts, and a credential signed by the stand-in (from /gsi/credential) handed to the
 * page's callback, which then posts it to the app's real One Tap endpoint. Mounted by google-stand-in.ts;
 * dev-only.
 */
import { Hono } from "hono";
import { GOOGLE_STAND_IN_PATH, type GoogleConfig } from "~/lib/env.server";
import { sameOriginPosts } from "~/worker/middleware/same-origin-posts";
import { mintIdToken, PRESET_GOOGLE_USERS } from "./google-stand-in-id-tokens";
import { readForm } from "./stand-in-kit";

type OneTapEnv = { Bindings: { kv: KVNamespace; google: GoogleConfig } };

export const googleOneTapStandIn = new Hono<OneTapEnv>();

/** The prompt's "Continue as …": a signed credential for a preset person and the page's nonce. */
googleOneTapStandIn.post(
  "/credential",
  // Only pages on this origin may have a test person's ID token minted; another site posting here is refused.
  sameOriginPosts({ onRejected: (c) => c.json({ error: "cross-site request refused" }, 403) }),
  async (c) => {
    const form = await readForm(c, { formTypesOnly: true });
    if (!form) return c.json({ error: "the request body must be form-encoded" }, 400);
    if (form.client_id !== c.env.google.clientId) return c.json({ error: "unknown client_id" }, 400);
    if (!form.nonce || form.nonce.length > 512) return c.json({ error: "a nonce is required" }, 400);
    const user = PRESET_GOOGLE_USERS.find((u) => u.sub === form.preset);
    if (!user) return c.json({ error: "unknown account" }, 400);
    return c.json({ credential: await mintIdToken(c.env, user, form.nonce), select_by: "user" });
  },
);

googleOneTapStandIn.get("/client", (c) =>
  c.body(gisStandInScript(GOOGLE_STAND_IN_PATH), 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" }),
);

googleOneTapStandIn.get("/style", (c) => c.body(GIS_STAND_IN_STYLE, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-store" }));

const GIS_STAND_IN_STYLE = `
.gsi-stand-in { position: fixed; top: 1rem; right: 1rem; z-index: 1000; width: min(22rem, calc(100vw - 2rem));
  background: #fff; color: #1f1f1f; border: 1px solid #dadce0; border-radius: 12px; padding: 1rem;
  box-shadow: 0 4px 16px rgb(0 0 0 / 0.2); font: 14px/1.4 system-ui, sans-serif; }
.gsi-stand-in h2 { font-size: 1rem; margin: 0 2rem 0.25rem 0; }
.gsi-stand-in p { margin: 0 0 0.75rem; color: #5f6368; }
.gsi-stand-in ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
.gsi-stand-in button { font: inherit; width: 100%; text-align: left; padding: 0.5rem 0.75rem; border-radius: 8px;
  border: 1px solid #dadce0; background: #fff; color: #1f1f1f; cursor: pointer; min-height: 44px; }
.gsi-stand-in button:hover { background: #f1f3f4; }
.gsi-stand-in .gsi-close { position: absolute; top: 0.5rem; right: 0.5rem; width: auto; min-height: 0; border: 0; padding: 0.25rem 0.5rem; }
`;

/** The script: `google.accounts.id` with initialize, prompt and cancel, and a One Tap-like prompt. */
function gisStandInScript(base: string): string {
  const presets = PRESET_GOOGLE_USERS.filter((u) => u.emailVerified).map((u) => ({ sub: u.sub, email: u.email, name: u.name }));
  return `// Local stand-in for Google Identity Services (Latchkey development only).
(function () {
  "use strict";
  var base = ${JSON.stringify(base)};
  var presets = ${JSON.stringify(presets)};
  var settings = null;
  var box = null;

  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = base + "/gsi/style";
  document.head.appendChild(style);

  function close() {
    if (box) box.remove();
    box = null;
  }

  function choose(sub) {
    var body = new URLSearchParams({ client_id: settings.client_id, nonce: settings.nonce || "", preset: sub });
    fetch(base + "/gsi/credential", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        close();
        if (answer.credential) settings.callback({ credential: answer.credential, select_by: "user", clientId: settings.client_id });
      });
  }

  function prompt() {
    if (!settings || box) return;
    box = document.createElement("div");
    box.className = "gsi-stand-in";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-labelledby", "gsi-stand-in-title");
    var title = document.createElement("h2");
    title.id = "gsi-stand-in-title";
    title.textContent = "Sign in to " + location.host + " with Google";
    var note = document.createElement("p");
    note.textContent = "One Tap stand-in · local development only";
    var list = document.createElement("ul");
    presets.forEach(function (person) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = "Continue as " + (person.name || person.email) + " (" + person.email + ")";
      button.addEventListener("click", function () { choose(person.sub); });
      item.appendChild(button);
      list.appendChild(item);
    });
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "gsi-close";
    dismiss.setAttribute("aria-label", "Close");
    dismiss.textContent = "×";
    dismiss.addEventListener("click", close);
    box.append(title, note, list, dismiss);
    document.body.appendChild(box);
  }

  window.google = window.google || {};
  window.google.accounts = window.google.accounts || {};
  window.google.accounts.id = {
    initialize: function (options) { settings = options; },
    prompt: prompt,
    cancel: close,
    disableAutoSelect: function () {},
  };
  if (typeof window.onGoogleLibraryLoad === "function") window.onGoogleLibraryLoad();
})();
`;
}
