/**
 * A typed message to the platform over HTTPS (the comparison result's path when cloud.url is
 * https://): POSTed gzip with the bearer token to the platform's own server, confirmed by its 2xx;
 * a wrong token is an error in words the user can act on, not a silent loss.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfig } from '../../gateway/sinks/cloud/cloud-config.js';
import { sendPlatformMessage } from '../../gateway/sinks/cloud/platform-message.js';
import { makeCerts, startReceiver, type Receiver, type TestCerts } from './cloud-fixture.js';

const TOKEN = 'platform-message-token-0123456789';

describe('a typed message to the platform over HTTPS', () => {
  let certs: TestCerts;
  let receiver: Receiver;
  beforeAll(async () => {
    certs = makeCerts();
    receiver = await startReceiver(certs, TOKEN);
  });
  afterAll(async () => {
    await receiver.close();
    certs.remove();
  });
  const cloud = (token: string): CloudConfig => ({
    enabled: true,
    url: receiver.url,
    format: 'json',
    topicPrefix: 'metrogate',
    token,
    ca: certs.ca,
    inOrder: true,
    maxInFlight: 1,
    batchMaxReadings: 10,
    timeoutMs: 5000,
  });

  it('is POSTed below the url and confirmed by the platform', async () => {
    const where = await sendPlatformMessage(
      cloud(TOKEN),
      { site: 'lab-1', gateway: 'gw-1' },
      { path: ['comparison', 'PT-1', '25'], json: '{"v":1,"lab":"lab-A"}' },
    );
    expect(where).toBe(`POST ${receiver.url}/comparison/PT-1/25`);
    expect(receiver.comparisons).toEqual([{ path: `${new URL(receiver.url).pathname}/comparison/PT-1/25`, doc: { v: 1, lab: 'lab-A' } }]);
    expect(receiver.requests.at(-1)).toMatchObject({ status: 201, userAgent: expect.stringMatching(/^metrogate\//) as unknown as string });
  });

  it('a refused token rejects, naming what to check, and the platform stored nothing', async () => {
    const before = receiver.comparisons.length;
    await expect(
      sendPlatformMessage(cloud('wrong-token-0123456789abcdef'), { site: 'lab-1', gateway: 'gw-1' }, { path: ['comparison', 'PT-1', '25'], json: '{}' }),
    ).rejects.toThrow(/answered 401.*check cloud\.token/);
    expect(receiver.comparisons).toHaveLength(before);
  });
});
