{#- Selects the given columns from a source table, or, when the table does not exist yet (a
    resource that a separate job loads, or that was never synced), an empty result with the
    same typed columns, so downstream models still build (empty).
    columns: a mapping of column name to SQL type, in the order they are wanted. -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set exists = true -%}
    {%- if execute -%}
        {%- set exists = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) is not none -%}
    {%- endif -%}
    {%- if exists %}
    select
        {%- for name in columns %}
        {{ adapter.quote(name) }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {%- else %}
    select
        {%- for name, data_type in columns.items() %}
        cast(null as {{ data_type }}) as {{ adapter.quote(name) }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}
