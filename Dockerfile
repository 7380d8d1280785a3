# inflow's own services for compose.yaml (machines with Docker). The local stack needs none of this.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY sql ./sql
COPY clickhouse ./clickhouse
COPY redpanda ./redpanda
ENV NODE_ENV=production HTTP_HOST=0.0.0.0
EXPOSE 3000
ENTRYPOINT ["node", "bin/inflow.mjs"]
CMD ["start", "all"]
