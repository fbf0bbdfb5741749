# One image for the worker, the API, the one-shot setup job and the web app (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV QD_ENV=production QD_API_HOST=0.0.0.0
CMD ["npx", "tsx", "api/main.ts"]
