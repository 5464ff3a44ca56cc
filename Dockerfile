FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SERVICEDESK_VAR_DIR=/srv/var
WORKDIR /srv/app
COPY pyproject.toml README.md ./
COPY servicedesk ./servicedesk
COPY org ./org
COPY incidents ./incidents
COPY changes ./changes
COPY bypass ./bypass
COPY metrics ./metrics
RUN pip install --no-cache-dir .
COPY . .
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && useradd --system --home /srv servicedesk && mkdir -p /srv/var && chown -R servicedesk /srv/var
USER servicedesk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
