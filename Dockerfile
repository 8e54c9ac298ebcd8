FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tracker tracker
COPY workers workers
COPY alerts alerts
COPY migrations migrations
RUN pip install --no-cache-dir . && useradd --create-home tracker
USER tracker
EXPOSE 8000
CMD ["tracker", "serve", "--host", "0.0.0.0", "--port", "8000"]
