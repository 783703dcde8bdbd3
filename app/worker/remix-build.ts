/**
 * The Remix server build (`npm run build` writes it) and the app's stylesheet, for the Worker and the
 * pages it renders itself (status pages, dev tools). They live here, not in app/worker.ts, because every
 * named export of a Worker's entry module must be a handler: workerd refuses to start the deployed
 * entry when it exports a string ("Incorrect type for map entry 'stylesheet'").
 */
import type { ServerBuild } from "@remix-run/cloudflare";
// Produced by `remix vite:build` (npm run build); has no type declarations of its own.
// @ts-ignore -- missing until the first build, and untyped after it
import * as remixBuild from "../../build/server/index.js";

export const build = remixBuild as unknown as ServerBuild;

/** The app's stylesheet, for the pages the Worker renders itself (status pages, dev tools). */
export const stylesheet: string | undefined = build.assets.routes.root?.css?.[0];
