# One image for the gateway and the partner subgraph services (docker-compose.yml picks the
# command). Node 20.19+, as package.json's engines require.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the image needs none (no embedded PostgreSQL, no test tooling), and npm 10
# in this image would run them all (npm 11's allowScripts list is ignored).
RUN npm ci --ignore-scripts
# Our one patch to a dependency (patches/: @apollo/gateway loads its telemetry's exporters and
# cloud detectors only when that telemetry is on): the install above ran no scripts, so here.
COPY patches patches
RUN npx patch-package
COPY tsconfig.json tsconfig.build.json ./
COPY gateway gateway
COPY partners partners
COPY schema schema
COPY migrations migrations
COPY bench bench
COPY web web
# The browser apps (web/dist), built before the dev dependencies (Vite, React) are pruned.
RUN npx tsc -p tsconfig.build.json && npm run web:build && npm prune --omit=dev

FROM node:20.19-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/web/dist web/dist
COPY --from=build /app/web/src/generated/trusted-documents.json web/src/generated/
# Development keys live in /data (a volume), owned by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
USER node
ENV COALITION_DATA_DIR=/data HOST=0.0.0.0
EXPOSE 4000 4101 4102 4103
# The heap cap is the one `npm start` uses (see package.json; the bench measures with it).
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=32", "dist/gateway/main.js"]
