import { generateSigningKey, keySetFromPrivate } from './keys';

/**
 * `npm run -s keys`: a new key pair for the gateway's assertions (the tokens it signs for its
 * calls to partner services), printed as the environment to set. The private key goes to the
 * gateway only; partner services trust the public one, which the gateway also publishes at
 * /.well-known/gateway-jwks.json. Nothing is written to disk.
 */
async function main(): Promise<void> {
  const kid = `gateway-${new Date().toISOString().slice(0, 10)}`;
  const privateJwk = await generateSigningKey(kid);
  const { publicJwks } = keySetFromPrivate(privateJwk);
  console.log(`# The gateway's assertion key (${kid}). Keep the private key secret: set it on the
# gateway only, e.g. from your secret store.
GATEWAY_ASSERTION_PRIVATE_JWK='${JSON.stringify(privateJwk)}'

# Partner services verify the gateway's calls with its public key, which the gateway serves at
# /.well-known/gateway-jwks.json (a partner service reads it from GATEWAY_JWKS_URL):
# ${JSON.stringify(publicJwks)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
