import { Checkbox, Dropdown, Field, Option, Radio, RadioGroup } from '@fluentui/react-components';
import type { Language } from '../app/i18n';
import type { Question } from './model';
import { localized } from './requestForm';

/** A choice question of the request form: checkboxes (several answers), radio buttons (up to five), else a dropdown. */
export function ChoiceField(props: { question: Question; language: Language; label: string; id: string; value: string | string[] | undefined; problem?: string; onChange: (value: string | string[]) => void; chooseOne: string }) {
  const { question, language, label, id } = props;
  const choices = question.choices ?? [];
  const selected = Array.isArray(props.value) ? props.value : props.value ? [props.value] : [];
  if (question.allowsMultipleSelection) {
    return (
      <Field label={label} required={!!question.isRequired} validationMessage={props.problem}>
        <div role="group" aria-label={label} id={id} tabIndex={-1}>
          {choices.map((c) => (
            <Checkbox
              key={c.actualValue}
              label={localized(c.text, c.localizations, language)}
              checked={selected.includes(c.actualValue)}
              onChange={(_, d) => props.onChange(d.checked ? [...selected, c.actualValue] : selected.filter((v) => v !== c.actualValue))}
            />
          ))}
        </div>
      </Field>
    );
  }
  if (choices.length <= 5) {
    return (
      <Field label={label} required={!!question.isRequired} validationMessage={props.problem}>
        <RadioGroup id={id} value={selected[0] ?? ''} onChange={(_, d) => props.onChange(d.value)}>
          {choices.map((c) => (
            <Radio key={c.actualValue} value={c.actualValue} label={localized(c.text, c.localizations, language)} />
          ))}
        </RadioGroup>
      </Field>
    );
  }
  return (
    <Field label={label} required={!!question.isRequired} validationMessage={props.problem}>
      <Dropdown id={id} placeholder={props.chooseOne} selectedOptions={selected} onOptionSelect={(_, d) => props.onChange(d.optionValue ?? '')}>
        {choices.map((c) => (
          <Option key={c.actualValue} value={c.actualValue}>
            {localized(c.text, c.localizations, language)}
          </Option>
        ))}
      </Dropdown>
    </Field>
  );
}
