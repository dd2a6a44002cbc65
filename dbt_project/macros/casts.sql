{#- Casts used across layers, so every model spells a type the same way on both engines. -#}

{% macro to_text(expression) -%}
    cast({{ expression }} as varchar)
{%- endmacro %}

{% macro to_float(expression) -%}
    cast({{ expression }} as double precision)
{%- endmacro %}

{% macro to_int(expression) -%}
    cast({{ expression }} as bigint)
{%- endmacro %}

{#- The UTC calendar day of a timestamp with time zone, whatever the session time zone. -#}
{% macro utc_date(expression) -%}
    cast(timezone('UTC', {{ expression }}) as date)
{%- endmacro %}

{#- A literal 'YYYY-MM-DD' string as a date. -#}
{% macro date_literal(value) -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- The UTC hour a timestamp with time zone falls in, as a timestamp without time zone. -#}
{% macro utc_hour(expression) -%}
    date_trunc('hour', timezone('UTC', {{ expression }}))
{%- endmacro %}
