# syntax=docker/dockerfile:1
# Build stage: install everything, generate the Prisma client, build the console.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run generate && npm run build:web && npm prune --omit=dev

# Runtime stage: only production dependencies, the server sources (run with tsx), the built console.
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=4000 ANANA_RESULTS_DIR=/data/results
RUN apt-get update && apt-get install -y --no-install-recommends procps git ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/server ./server
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/examples ./examples
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/schema.graphql ./schema.graphql
VOLUME /data
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Migrations are applied by the server itself at start-up (WebAssembly schema engine, no download).
CMD ["node", "--import", "tsx", "server/src/main.ts"]
