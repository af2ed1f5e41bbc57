"""Job callbacks (webhooks): a job's ``callback_url`` is POSTed the job's final body, signed.

* `target`: what a callback URL may look like (checked by the job request's schema);
* `policy`: where callbacks may go (the allowlist, the tenant's secret, public addresses);
* `delivery`: one signed POST, with bounded time and no redirects;
* `drain`: the loop every API process runs, taking due callbacks from the outbox in Redis
  (store.callbacks), delivering them and retrying with backoff.
"""
