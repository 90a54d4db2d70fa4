ARG PHP_VERSION=8.4
FROM bref/php-84:3
ARG APP_ENV
ENV APP_ENV=${APP_ENV} BREF_RUNTIME=fpm
COPY . /var/task
CMD ["public/index.php"]
