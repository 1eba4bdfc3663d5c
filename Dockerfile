# One image for the API, the worker and the one-shot setup job; the command picks the role.
FROM node:20-bookworm-slim

ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. Dev dependencies stay:
# the services run TypeScript through tsx. (npm 10 ignores package.json `allowScripts` and
# runs install scripts, which the native packages need.)
COPY package.json package-lock.json ./
# `npm install` with the committed lock: the lock omits other platforms' optional packages,
# which `npm ci` would reject.
RUN npm install --no-audit --no-fund && npm cache clean --force

COPY . .

# Workers load the workflow code bundled here instead of running webpack at each start.
RUN npm run build:workflows

# Set after the install, which would otherwise skip the dev dependencies.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000

# Files stay root-owned: the app can read its code but not rewrite it.
USER node

EXPOSE 3000
CMD ["npx", "tsx", "api/server.ts"]
