{#- Engine differences, one macro each, resolved with adapter.dispatch (DuckDB and PostgreSQL).
    Every default__ implementation is the PostgreSQL spelling. -#}

{#- The text value of a top-level key of a JSON object (a JSON or text column). -#}
{% macro json_text_field(expression, key) -%}
    {{ return(adapter.dispatch('json_text_field')(expression, key)) }}
{%- endmacro %}

{% macro default__json_text_field(expression, key) -%}
    (cast({{ expression }} as jsonb) ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_text_field(expression, key) -%}
    json_extract_string({{ expression }}, '$.{{ key }}')
{%- endmacro %}


{#- The number of elements of a JSON array (null stays null). -#}
{% macro json_list_length(expression) -%}
    {{ return(adapter.dispatch('json_list_length')(expression)) }}
{%- endmacro %}

{% macro default__json_list_length(expression) -%}
    jsonb_array_length(cast({{ expression }} as jsonb))
{%- endmacro %}

{% macro duckdb__json_list_length(expression) -%}
    cast(json_array_length({{ expression }}) as bigint)
{%- endmacro %}


{#- The elements of a JSON array of strings joined with a separator, in array order
    ('' for an empty array, null for null). -#}
{% macro json_list_to_text(expression, separator=', ') -%}
    {{ return(adapter.dispatch('json_list_to_text')(expression, separator)) }}
{%- endmacro %}

{% macro default__json_list_to_text(expression, separator) -%}
    case when {{ expression }} is not null then array_to_string(
        array(select jsonb_array_elements_text(cast({{ expression }} as jsonb))),
        '{{ separator }}'
    ) end
{%- endmacro %}

{% macro duckdb__json_list_to_text(expression, separator) -%}
    array_to_string(json_extract_string({{ expression }}, '$[*]'), '{{ separator }}')
{%- endmacro %}


{#- Whether a text matches a regular expression (POSIX/RE2 common subset; a leading (?i)
    makes it case-insensitive on both engines). -#}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    coalesce({{ expression }} ~ '{{ pattern }}', false)
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    coalesce(regexp_matches({{ expression }}, '{{ pattern }}'), false)
{%- endmacro %}


{#- How many non-overlapping matches of a regular expression a text holds (0 for null). The
    PostgreSQL spelling replaces each match by one character and by none and compares the
    lengths, which works on every version (regexp_count needs 15+). -#}
{% macro regex_count(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_count')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_count(expression, pattern) -%}
    cast(coalesce(
        length(regexp_replace({{ expression }}, '{{ pattern }}', '#', 'g'))
        - length(regexp_replace({{ expression }}, '{{ pattern }}', '', 'g')),
        0
    ) as bigint)
{%- endmacro %}

{% macro duckdb__regex_count(expression, pattern) -%}
    coalesce(cast(len(regexp_extract_all({{ expression }}, '{{ pattern }}')) as bigint), 0)
{%- endmacro %}


{#- Whole days from one date to another (end - start). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}


{#- A date minus a number of days, as a date. -#}
{% macro date_minus_days(date_expression, days) -%}
    {{ date_add_days(date_expression, '-(' ~ days ~ ')') }}
{%- endmacro %}


{#- Whole weeks from one date to another (0 for the first seven days). -#}
{% macro weeks_between(start_date, end_date) -%}
    cast(floor({{ days_between(start_date, end_date) }} / 7.0) as bigint)
{%- endmacro %}


{#- The number of characters of a text (code points on both engines; 0 for null). -#}
{% macro text_length(expression) -%}
    {{ return(adapter.dispatch('text_length')(expression)) }}
{%- endmacro %}

{% macro default__text_length(expression) -%}
    cast(coalesce(char_length({{ expression }}), 0) as bigint)
{%- endmacro %}

{% macro duckdb__text_length(expression) -%}
    coalesce(cast(length({{ expression }}) as bigint), 0)
{%- endmacro %}


{#- The number of whitespace-separated words of a text (0 for null or blank). -#}
{% macro word_count(expression) -%}
    {{ regex_count(expression, '[^[:space:]]+') }}
{%- endmacro %}


{#- A date plus a number of days, as a date. -#}
{% macro date_add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('date_add_days')(date_expression, days)) }}
{%- endmacro %}

{% macro default__date_add_days(date_expression, days) -%}
    (cast({{ date_expression }} as date) + cast({{ days }} as integer))
{%- endmacro %}

{% macro duckdb__date_add_days(date_expression, days) -%}
    cast(cast({{ date_expression }} as date) + to_days(cast({{ days }} as integer)) as date)
{%- endmacro %}


{#- Hours (with fractions) from one timestamp with time zone to another (end - start); null
    when either is null. Epoch seconds read the same on both engines. -#}
{% macro hours_between(start_timestamp, end_timestamp) -%}
    (cast(extract(epoch from {{ end_timestamp }}) as double precision)
        - cast(extract(epoch from {{ start_timestamp }}) as double precision)) / 3600.0
{%- endmacro %}
