{#- numerator / denominator as a decimal; null (never an error or infinity) when the
    denominator is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast({{ numerator }} as double precision) / ({{ denominator }})
    end
{%- endmacro %}

{#- Wilson score interval for a proportion successes / trials at critical value z (1.96 for
    95 %). Null when trials is 0 or null. -#}
{% macro wilson_lower(successes, trials, z=1.96) -%}
    {{ _wilson_bound(successes, trials, z, '-') }}
{%- endmacro %}

{% macro wilson_upper(successes, trials, z=1.96) -%}
    {{ _wilson_bound(successes, trials, z, '+') }}
{%- endmacro %}

{% macro _wilson_bound(successes, trials, z, sign) -%}
    {%- set z = 'cast(' ~ z ~ ' as double precision)' -%}
    case
        when ({{ trials }}) is null or ({{ trials }}) = 0 then null
        else (
            cast({{ successes }} as double precision) / ({{ trials }})
            + {{ z }} * {{ z }} / (2.0 * ({{ trials }}))
            {{ sign }} {{ z }} * sqrt(
                (cast({{ successes }} as double precision) / ({{ trials }}))
                * (1 - cast({{ successes }} as double precision) / ({{ trials }}))
                / ({{ trials }})
                + {{ z }} * {{ z }} / (4.0 * ({{ trials }}) * ({{ trials }}))
            )
        ) / (1 + {{ z }} * {{ z }} / cast({{ trials }} as double precision))
    end
{%- endmacro %}
