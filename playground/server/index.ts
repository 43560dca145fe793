/** The playground's Node side: HTTP server, JSON API and the built page. */
export { startPlayground, DEFAULT_PLAYGROUND_PORT, defaultDistDir, type PlaygroundOptions, type PlaygroundServer } from './server.js';
export { PlaygroundHttpError, PlaygroundDistMissingError } from './errors.js';
export { readLogViews, readLogViewsFromStore, type LogViews } from './log-views.js';
