# metrogate: the gateway (drivers, calibration, MQTT, ingest, HTTP API) as a container image.
#
#   docker build -t metrogate .
#   docker run -v ./site.yaml:/etc/metrogate/config.yaml:ro -v metrogate-data:/var/lib/metrogate metrogate
#
# The whole stack (Mosquitto, InfluxDB, Grafana, gateway, simulated instruments from the
# `simulator` stage):
#   docker compose -f config/deploy/compose.yaml up --build
# test/unit/deploy-files.test.ts checks this file against the repository (paths, commands, health route).

ARG NODE_IMAGE=node:20-bookworm-slim

# ── build: compile TypeScript, build better-sqlite3 from source, then drop the dev dependencies ──
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles its native addon when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json ./
COPY config ./config
COPY drivers ./drivers
COPY gateway ./gateway
# Compiled for the simulator stage below only; the runtime image copies none of it.
COPY tools ./tools
RUN npm run build \
 && npm prune --omit=dev

# ── simulator: the Modbus TCP simulator for the compose demo stack (config/deploy/compose.yaml) ──
# `docker build --target simulator`. Development tooling (tools/) lives in this image only.
FROM ${NODE_IMAGE} AS simulator
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/config ./dist/config
COPY --from=build /app/dist/drivers ./dist/drivers
COPY --from=build /app/dist/tools/simulators/modbus ./dist/tools/simulators/modbus
COPY --from=build /app/dist/tools/private-services ./dist/tools/private-services
USER node
ENTRYPOINT ["node", "dist/tools/simulators/modbus/main.js"]

# ── runtime: Node and what the gateway needs to run, as an unprivileged user ──
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    METROGATE_LOG_FORMAT=json
WORKDIR /app
# Same base image as the build stage, so the compiled better-sqlite3 addon matches its glibc.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
# The compiled gateway only: dist/tools (simulators, private services, the demo) stays out.
COPY --from=build /app/dist/config ./dist/config
COPY --from=build /app/dist/drivers ./dist/drivers
COPY --from=build /app/dist/gateway ./dist/gateway
# Files read at run time relative to the package root: the live page (gateway/api/routes/page.ts)
# and the JSON Schemas of what the gateway publishes.
COPY --from=build /app/gateway/api/page ./gateway/api/page
COPY --from=build /app/gateway/schemas ./gateway/schemas
# Config is mounted read-only at /etc/metrogate; the spool, calibration records and reports live
# in /var/lib/metrogate (point spool.dir, calibration.recordsDir and calibration.reportsDir there).
RUN mkdir -p /etc/metrogate /var/lib/metrogate \
 && chown node:node /var/lib/metrogate
VOLUME ["/etc/metrogate", "/var/lib/metrogate"]
# The `node` user (uid 1000) of the official image.
USER node
# The HTTP API (api.port, default 8080). Bind it to 0.0.0.0 in the config to reach it from outside.
EXPOSE 8080
# /healthz answers 200 while the process is up. Inside the container 127.0.0.1 always reaches the
# API; set METROGATE_HEALTHCHECK_URL when api.port is not 8080.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.METROGATE_HEALTHCHECK_URL||'http://127.0.0.1:8080/healthz').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/gateway/cli/main.js"]
CMD ["run", "--config", "/etc/metrogate/config.yaml"]
