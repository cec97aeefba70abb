# syntax=docker/dockerfile:1
# The GRC API server: compiled JavaScript and production dependencies only.
#   docker build -t grc-api .
#   SQLite:      docker run -p 4000:4000 --read-only --tmpfs /tmp -v grc-data:/app/data grc-api
#   PostgreSQL:  docker run -p 4000:4000 --read-only --tmpfs /tmp -e DATABASE_URL=postgresql://... grc-api
# Tools (migrations, key rotation, ...): docker run --rm ... grc-api node dist/src/cli/migrate.js
#
# Node 24 LTS (24.19.0), pinned by the digest of its multi-architecture index; renovate or
# `docker buildx imagetools inspect node:24.19.0-bookworm-slim` gives the next one. The code
# runs on Node 20.19 and later (package.json engines) as well.
ARG NODE_IMAGE=node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles its addon when no prebuilt one fits: it needs a compiler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first, cached on the lockfile. No install scripts but better-sqlite3's: the
# project's postinstall (client generation) needs the sources, and runs below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY . .
# Prisma clients, then src/ compiled to dist/ (tsc type-checks as it compiles).
RUN npm run db:generate \
 && npm run build \
 && rm -f dist/.tsbuildinfo
# What the server never loads goes (scripts/prune-production.ts), then every development
# package: tsx, TypeScript, esbuild, the Prisma CLI and Studio, vitest.
RUN node --import tsx scripts/prune-production.ts node_modules \
 && npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && test ! -e node_modules/tsx && test ! -e node_modules/typescript && test ! -e node_modules/prisma

FROM ${NODE_IMAGE}
# No DATABASE_URL: the default is SQLite in /app/data, and DATABASE_URL_FILE (a mounted secret)
# may name another database without clashing with a value set here.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
# Owned by root, read-only to the user that runs it: the only writable places are /app/data (the
# SQLite database and its key file) and /tmp, so the root filesystem may be mounted read-only.
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0700 /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 4000
# /readyz answers 503 while the database is unreachable or the server drains (SIGTERM).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# node is PID 1 and handles SIGTERM itself: /readyz turns 503, it drains, then stops (src/main.ts).
CMD ["node", "dist/src/main.js"]
