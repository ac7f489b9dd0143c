/* status.c - status names, texts and the caller-owned error detail */
#include "deconflict/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *dc_strerror(dc_status status)
{
    switch (status) {
#define DC__STATUS_TEXT(name, text)                                                                \
    case DC_##name:                                                                                \
        return text;
        DC_STATUS_MAP(DC__STATUS_TEXT)
#undef DC__STATUS_TEXT
    default:
        return "unknown status";
    }
}

const char *dc_status_name(dc_status status)
{
    switch (status) {
#define DC__STATUS_NAME(name, text)                                                                \
    case DC_##name:                                                                                \
        return #name;
        DC_STATUS_MAP(DC__STATUS_NAME)
#undef DC__STATUS_NAME
    default:
        return "UNKNOWN";
    }
}

void dc_error_clear(dc_error *err)
{
    if (err == NULL)
        return;
    err->status = DC_OK;
    err->position = DC_NO_POSITION;
    err->field[0] = '\0';
    err->message[0] = '\0';
}

dc_status dc_error_set(dc_error *err, dc_status status, const char *field, size_t position,
                       const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    err->position = position;
    dc_copy_text(err->field, sizeof err->field, field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

void *dc_malloc(size_t size)
{
    return malloc(size ? size : 1);
}
void *dc_calloc(size_t count, size_t size)
{
    return calloc(count ? count : 1, size ? size : 1);
}
void *dc_realloc(void *ptr, size_t size)
{
    return realloc(ptr, size ? size : 1);
}

void dc_copy_text(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return;
    size_t n = src != NULL ? strnlen(src, size - 1) : 0;
    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

void *dc_grow(void *items, size_t *capacity, size_t count, size_t item_size, size_t initial)
{
    if (count < *capacity)
        return items;
    size_t cap = *capacity ? *capacity * 2 : initial;
    if (cap < *capacity || cap > SIZE_MAX / item_size)
        return NULL;
    void *grown = dc_realloc(items, cap * item_size);
    if (grown != NULL)
        *capacity = cap;
    return grown;
}
void dc_free(void *ptr)
{
    free(ptr);
}
