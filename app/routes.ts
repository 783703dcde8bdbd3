/**
 * The route table Remix builds from (v3_routeConfig). Routes stay files in app/routes/ named by Remix's
 * flat-routes convention, so this only says "use the folder"; React Router v7 reads the same file, which
 * is what makes its upgrade a codemod. A route that can't be expressed as a file name goes here.
 */
import { flatRoutes } from "@remix-run/fs-routes";
import type { RouteConfig } from "@remix-run/route-config";

export default flatRoutes() satisfies RouteConfig;
