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

{#- The two-sided 95 % critical value of Student's t with `df` degrees of freedom (the quantile
    0.975), for intervals of estimates fitted on few points (e.g. a slope over n weeks has
    n - 2). Tabulated to 30, then 40, 60 and 120; 1.96 beyond. Null when df is null or < 1. -#}
{% macro t_critical_95(df) -%}
    {%- set table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                     2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                     2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042] -%}
    case
        {%- for value in table %}
        when ({{ df }}) = {{ loop.index }} then {{ value }}
        {%- endfor %}
        when ({{ df }}) <= 40 then 2.021
        when ({{ df }}) <= 60 then 2.000
        when ({{ df }}) <= 120 then 1.980
        when ({{ df }}) > 120 then 1.960
    end
{%- endmacro %}
