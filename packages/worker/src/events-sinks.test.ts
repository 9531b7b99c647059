import { describe, expect, it } from 'vitest';
import { ErrorCode, OrchestratorError } from '@cairn/core';
import { WEBHOOK_ENV, webhookSinks } from './events-sinks.js';

const SECRET = 'a-secret-of-sixteen-plus';

describe('webhookSinks', () => {
  it('takes the webhooks of cairn.config.json, each secret from the variable it names', () => {
    const config = { path: '/x/cairn.config.json', events: { webhooks: [{ url: 'https://ci.example.com/hook', secretEnv: 'CI_SECRET', eventTypes: ['SageMaker Model Package State Change'] }] } };
    const sinks = webhookSinks(config, { CI_SECRET: SECRET, [WEBHOOK_ENV.url]: 'https://ignored.example.com', [WEBHOOK_ENV.secret]: SECRET });
    expect(sinks.map((s) => [s.id, s.eventTypes])).toEqual([['webhook:https://ci.example.com/hook', ['SageMaker Model Package State Change']]]);
  });

  it('falls back to CAIRN_WEBHOOK_URL (comma-separated) and CAIRN_WEBHOOK_SECRET', () => {
    const sinks = webhookSinks({ path: undefined, events: { webhooks: [] } }, { [WEBHOOK_ENV.url]: 'http://a.test/1, http://b.test/2', [WEBHOOK_ENV.secret]: SECRET });
    expect(sinks.map((s) => s.id)).toEqual(['webhook:http://a.test/1', 'webhook:http://b.test/2']);
    expect(webhookSinks({ path: undefined, events: { webhooks: [] } }, {})).toEqual([]);
  });

  it('refuses a configured webhook whose secret variable is unset, naming the variable', () => {
    const config = { path: '/x/cairn.config.json', events: { webhooks: [{ url: 'https://ci.example.com/hook', secretEnv: 'CI_SECRET' }] } };
    const err = (() => {
      try {
        return webhookSinks(config, {});
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OrchestratorError);
    expect(err).toMatchObject({ code: ErrorCode.ConfigInvalid, message: expect.stringMatching(/\$CI_SECRET, which is not set\. To fix: export CI_SECRET=/) });
  });
});
