# syntax=docker/dockerfile:1
# One image for every role: `node dist/cli/index.js serve --roles <role>` (docker-compose.yml, deploy/kubernetes).
# Build: docker build --build-arg VERSION=$(node -p 'require("./package.json").version') -t escrow-services:<tag> .
# The Node.js major is the current LTS; CI runs the image's start command on the same major (.ci/run).
ARG NODE_IMAGE=node:26-slim

# ---- build: every dependency, compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/package.json
RUN npm ci --ignore-scripts --no-audit --no-fund --workspaces=false
COPY tsconfig.json tsconfig.build.json ./
COPY src src
RUN npm run build

# ---- prod-deps: production dependencies only (no compiler, linters or test tools) ----
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/package.json
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspaces=false && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="escrow-services" \
      org.opencontainers.image.description="Self-hostable escrow engine for marketplaces: double-entry ledger, event outbox, PostgreSQL, Kafka" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/escrow-services/escrow-services"
# tini as PID 1: signals reach node (SIGTERM → graceful stop of every role), zombies are reaped
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    METRICS_PORT=9464 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY migrations migrations
RUN mkdir -p /app/data && chown node:node /app/data
# the image's own user (uid 1000), never root
USER node
EXPOSE 3000 9464
# the api role answers on PORT, every other role on METRICS_PORT (dist/cli/probe.js asks whichever this role serves)
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/cli/probe.js"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/cli/index.js", "serve"]
