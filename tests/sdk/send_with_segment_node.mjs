// Sends a few calls with Segment's official Node.js SDK (@segment/analytics-node) to a Cohort server, with only its
// host changed.
//
// Usage: node send_with_segment_node.mjs HOST_URL WRITE_KEY
// Prints one JSON line {"errors": [...]} and exits non-zero if the SDK reported any error.
import { Analytics } from '@segment/analytics-node';

const [host, writeKey] = process.argv.slice(2);
const errors = [];
const analytics = new Analytics({ writeKey, host, maxRetries: 0, flushAt: 10, flushInterval: 200 });
analytics.on('error', (err) => errors.push(String(err?.reason ?? err?.message ?? err)));

analytics.identify({ userId: 'node-user-1', traits: { email: 'node@example.com', firstName: 'Noa' } });
analytics.track({
  userId: 'node-user-1',
  event: 'Order Completed',
  properties: { order_id: 'node-o-1', total: 77.5, currency: 'EUR' },
});
analytics.page({ userId: 'node-user-1', name: 'Home', properties: { path: '/start?ref=ad' } });
await analytics.closeAndFlush({ timeout: 10000 });
console.log(JSON.stringify({ errors }));
process.exit(errors.length ? 1 : 0);
