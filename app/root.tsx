import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import {
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { ERROR_PAGES, UNEXPECTED_ERROR } from "~/auth/messages";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { useNonce } from "~/components/nonce";
import { PasskeyOffer } from "~/components/passkeys";
import { AccountMenu } from "~/components/account-menu";
import { passkeyOfferSeen } from "~/auth/passkeys/cookies.server";
import { shouldOfferPasskey } from "~/auth/passkeys/offer";
import "~/styles/app.css";

export const meta: MetaFunction<typeof loader> = ({ data, error }) => [
  // An error page (404, 503, …) is titled by what went wrong, like every other page.
  { title: errorTitle(error) ? `${errorTitle(error)} · ${data?.brand.name ?? "Latchkey"}` : (data?.brand.name ?? "Latchkey") },
  { name: "description", content: "Passwordless sign-in you own, at the edge." },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request, context);
  const { theme } = context.config;
  return {
    brand: {
      name: theme.name,
      logoUrl: theme.logoUrl,
      supportEmail: theme.supportEmail,
      termsUrl: theme.termsUrl,
      privacyUrl: theme.privacyUrl,
    },
    email: signedIn?.user.email ?? null,
    offerPasskey: signedIn ? shouldOfferPasskey(signedIn.session, context.now()) && !(await passkeyOfferSeen(request, context.config)) : false,
  };
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <Meta />
        <Links />
        {/* The deployment's accent colour and font (BRAND_* vars): after the app's own stylesheet, so its
            custom properties win over app.css's defaults. */}
        <link rel="stylesheet" href="/theme.css" />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <Link className="brand" to="/">
            {data?.brand.logoUrl ? <img className="brand-logo" src={data.brand.logoUrl} alt="" height={28} /> : null}
            <span>{data?.brand.name ?? "Latchkey"}</span>
          </Link>
          <nav className="site-nav" aria-label="Account">
            {data?.email ? <AccountMenu email={data.email} /> : <Link to="/login">Sign in</Link>}
          </nav>
        </header>
        {data?.offerPasskey ? <PasskeyOffer /> : null}
        {children}
        <footer className="site-footer">
          <span>{data?.brand.name ?? "Latchkey"}</span>
          {data?.brand.supportEmail ? <a href={`mailto:${data.brand.supportEmail}`}>{data.brand.supportEmail}</a> : null}
          {data?.brand.termsUrl ? <a href={data.brand.termsUrl}>Terms</a> : null}
          {data?.brand.privacyUrl ? <a href={data.brand.privacyUrl}>Privacy</a> : null}
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

function errorTitle(error: unknown): string | null {
  if (error === undefined) return null;
  return isRouteErrorResponse(error) ? (ERROR_PAGES[error.status]?.title ?? UNEXPECTED_ERROR.title) : UNEXPECTED_ERROR.title;
}

export function ErrorBoundary() {
  const error = useRouteError();
  let status = 500;
  let { title, message } = UNEXPECTED_ERROR;
  if (isRouteErrorResponse(error)) {
    status = error.status;
    const copy = ERROR_PAGES[status];
    if (copy) ({ title, message } = copy);
  } else {
    // Remix already logged it server-side; never show a stack trace to the person.
  }
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="error-title">
        <p className="status-code">{status}</p>
        <h1 id="error-title">{title}</h1>
        <p>{message}</p>
        <p>
          <Link className="button" to="/">
            Go to the home page
          </Link>
        </p>
      </section>
    </main>
  );
}
