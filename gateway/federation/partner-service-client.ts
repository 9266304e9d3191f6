import type { AssertionSigner } from './assertions';
import { assertionHeader } from './assertions';
import { PartnerServiceUnavailable } from './errors';

/** How long registration waits for a partner service to answer. */
export const registrationTimeoutMs = 5_000;
const sdlBytesMax = 1_000_000;

/**
 * What the gateway asks a partner service while registering it: its subgraph SDL (`_service`,
 * with a system assertion, as every subgraph call carries one) and its public keys.
 */
export class PartnerServiceClient {
  constructor(private readonly signer: AssertionSigner) {}

  async fetchSdl(partnerId: string, url: string): Promise<string> {
    const body = await this.call(partnerId, url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [assertionHeader]: await this.signer.sign({ kind: 'system' }, partnerId),
      },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    const sdl = (body as { data?: { _service?: { sdl?: unknown } } }).data?._service?.sdl;
    if (typeof sdl !== 'string' || sdl.length === 0 || sdl.length > sdlBytesMax) {
      throw new PartnerServiceUnavailable(partnerId, 'it did not answer `_service { sdl }`');
    }
    return sdl;
  }

  /** The JWKS at the service's origin, `/.well-known/jwks.json`. */
  fetchJwks(partnerId: string, url: string): Promise<unknown> {
    return this.call(partnerId, new URL('/.well-known/jwks.json', url).toString(), {
      method: 'GET',
    });
  }

  private async call(partnerId: string, url: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(registrationTimeoutMs) });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new PartnerServiceUnavailable(
        partnerId,
        timedOut
          ? `no answer from ${url} within ${registrationTimeoutMs} ms`
          : `${url} is unreachable (${(error as Error).message})`,
      );
    }
    if (!response.ok) {
      throw new PartnerServiceUnavailable(partnerId, `${url} answered HTTP ${response.status}`);
    }
    try {
      return await response.json();
    } catch {
      throw new PartnerServiceUnavailable(partnerId, `${url} did not answer JSON`);
    }
  }
}
