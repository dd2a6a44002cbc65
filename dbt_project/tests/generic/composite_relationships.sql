{#- Every row whose key columns are all set has a parent row in `to` with the same values in
    `to_columns` (default: the same column names). Passes while `to` does not exist yet (a
    partitioned model built before the first full build has nothing to be checked against). -#}
{% test composite_relationships(model, to, columns, to_columns=none) %}
{%- set parent_columns = to_columns or columns %}
{%- if execute and adapter.get_relation(to.database, to.schema, to.identifier) is none %}

select 1 as missing_parent_table where 1 = 0

{%- else %}

select {% for column in columns %}child.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }} as child
left join {{ to }} as parent
    on {% for column in columns -%}
    child.{{ column }} = parent.{{ parent_columns[loop.index0] }}
    {%- if not loop.last %} and {% endif %}
    {%- endfor %}
where {% for column in columns %}child.{{ column }} is not null and {% endfor %}
    parent.{{ parent_columns[0] }} is null

{%- endif %}

{% endtest %}
