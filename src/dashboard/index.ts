/**
 * The dashboard: what it shows, collected from a router (and a controller), and its routes.
 *
 * @packageDocumentation
 */
export { DashboardFeed } from './dashboard-feed.js';
export { dashboardRoutes } from './dashboard-routes.js';
export type * from './page/view-model.js';
