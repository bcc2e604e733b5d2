/**
 * The dashboard: what it shows, collected from a router (and a controller), and its routes.
 *
 * @packageDocumentation
 */
export { DashboardFeed, type DashboardSnapshot, type HistoryEntry } from './dashboard-feed.js';
export { dashboardRoutes } from './dashboard-routes.js';
