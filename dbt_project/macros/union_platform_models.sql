{#- Stacks one staging model per platform for an entity. Columns are taken by name from the
    first model (at run time), so every platform's model must expose the same column names;
    order does not matter and a missing column fails loudly. A new platform adds one ref line
    to each union it takes part in. -#}
{% macro union_platform_models(relations) -%}
    {%- if execute -%}
        {%- set columns = adapter.get_columns_in_relation(relations[0]) | map(attribute='name') | list -%}
    {%- else -%}
        {%- set columns = ['*'] -%}
    {%- endif -%}
    {%- for relation in relations %}
    select {{ columns | join(', ') }}
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
