# syntax=docker/dockerfile:1
# The GRC API server. Build: docker build -t grc-api .
# Run on SQLite:      docker run -p 4000:4000 -v grc-data:/data grc-api
# Run on PostgreSQL:  docker run -p 4000:4000 -e DATABASE_URL=postgresql://... grc-api

FROM node:20.19-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source: it needs a compiler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# What `npm ci` needs, its postinstall (Prisma client generation) included.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY src/db/provider.ts ./src/db/provider.ts
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run typecheck && npm prune --omit=dev

FROM node:20.19-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATABASE_URL=file:/data/grc.db
WORKDIR /app
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /data && chown node:node /data
# Never as root; the code is read-only to the user that runs it.
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
