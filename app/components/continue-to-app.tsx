import type { MetaDescriptor } from "@remix-run/cloudflare";
import { CardPage } from "./card-page";

/**
 * "Returning you to <app>…": the page that takes the browser back to an app at the end of a form's
 * redirect chain (see app/provider/to-app.server.ts). The meta refresh moves on by itself, without
 * JavaScript; the link is for when it doesn't.
 */
export function ContinueToApp({ location, clientName }: { location: string; clientName: string | null }) {
  return (
    <CardPage title={`Returning you to ${clientName ?? "the app"}…`}>
      <p>
        {/* A plain link: Remix must not fetch an app's URL as route data. */}
        <a className="button full" href={location}>
          Continue to {clientName ?? "the app"}
        </a>
      </p>
    </CardPage>
  );
}

export function continueMeta(location: string): MetaDescriptor {
  return { httpEquiv: "refresh", content: `0;url=${location}` };
}
