// Sends a few calls with RudderStack's official Node.js SDK (@rudderstack/rudder-sdk-node) to a Cohort server, with
// the SDK's defaults (gzip on), only the data plane URL changed.
//
// Usage: node send_with_rudderstack_node.mjs DATA_PLANE_URL WRITE_KEY
// Prints one JSON line {"errors": [...]} and exits non-zero if the SDK reported any error.
import Analytics from '@rudderstack/rudder-sdk-node';

const [dataPlaneUrl, writeKey] = process.argv.slice(2);
const errors = [];
const analytics = new Analytics(writeKey, {
  dataPlaneUrl,
  retryCount: 0,
  flushAt: 10,
  flushInterval: 200,
  logLevel: 'error',
  errorHandler: (err) => errors.push(String(err?.message ?? err)),
});
const sent = (err) => {
  if (err) errors.push(String(err?.message ?? err));
};

analytics.identify({ userId: 'rsn-user-1', traits: { email: 'rsnode@example.com', firstName: 'Rosa' } }, sent);
analytics.track(
  { userId: 'rsn-user-1', event: 'Order Completed', properties: { order_id: 'rsn-o-1', total: 31.5, currency: 'EUR' } },
  sent,
);
analytics.page({ userId: 'rsn-user-1', name: 'Home', properties: { path: '/basket?x=1' } }, sent);
await analytics.flush();
console.log(JSON.stringify({ errors }));
process.exit(errors.length ? 1 : 0);
