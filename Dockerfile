# One image for every process of the platform; docker-compose.yml picks the command per service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY shared ./shared
COPY gateway ./gateway
COPY services ./services
COPY migrations ./migrations
COPY tools ./tools
COPY alembic.ini .
ENV PYTHONPATH=/app:/app/services/registry:/app/services/service-requests:/app/services/elections:/app/services/grid:/app/services/identity
RUN useradd --system --uid 10001 platform
USER platform
EXPOSE 8000
