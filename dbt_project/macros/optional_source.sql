{#- Selects the given columns from a source table, tolerating what a real account may not have
    loaded yet:
    - the table does not exist (a resource that a separate job loads, that was never synced,
      or a warehouse loaded before the table was declared): an empty result with the same
      typed columns;
    - a column does not exist (a field the API left out of every answer so far): that column
      is null.
    So downstream models always build, with nulls (never zeros) where nothing is known.
    columns: a mapping of column name to SQL type, in the order they are wanted. -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing = columns.keys() | map('lower') | list -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
        {%- if found is none -%}
            {%- set existing = none -%}
        {%- else -%}
            {%- set existing = adapter.get_columns_in_relation(found)
                | map(attribute='name') | map('lower') | list -%}
        {%- endif -%}
    {%- endif -%}
    {%- if existing is not none %}
    select
        {%- for name, data_type in columns.items() %}
        {% if name | lower in existing -%}
        {{ adapter.quote(name) }}
        {%- else -%}
        cast(null as {{ data_type }}) as {{ adapter.quote(name) }}
        {%- endif %}{% if not loop.last %},{% endif %}
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
